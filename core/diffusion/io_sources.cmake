# faceg2e_diffusion_io sources (owner: diffio). Paths relative to core/diffusion/.
list(APPEND FACEG2E_DIFFUSION_IO_SOURCES
  safetensors.cpp
  state_dict.cpp
  checkpoint.cpp
  tokenizer.cpp
  tokenizer_unicode.cpp
  text_encoder.cpp
  text_checks.cpp)
