# faceg2e_diffusion_models sources (owner: diffnet). Paths relative to core/diffusion/.
list(APPEND FACEG2E_DIFFUSION_MODELS_SOURCES
  attention.cpp
  nn_blocks.cpp
  unet.cpp
  controlnet.cpp
  vae.cpp
  scheduler.cpp
  sds.cpp
  device_memory.cpp
  model_checks.cpp)
# CUDA allocator statistics need c10_cuda, which only a CUDA LibTorch links.
if(FACEG2E_TORCH_CUDA)
  set_source_files_properties(device_memory.cpp PROPERTIES COMPILE_DEFINITIONS FACEG2E_TORCH_CUDA=1)
endif()
