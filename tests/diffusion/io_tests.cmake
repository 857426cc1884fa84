# Tests of faceg2e_diffusion_io (owner: diffio).
faceg2e_add_test(test_diffusion_io
  SOURCES test_safetensors.cpp test_tokenizer.cpp
  LIBS faceg2e_diffusion_io
  TIMEOUT 300
  LABELS diffusion)
