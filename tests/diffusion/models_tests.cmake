# Tests of faceg2e_diffusion_models (owner: diffnet): UNet, attention, ControlNet, VAE,
# scheduler, guidance math, and the fixture runner.
faceg2e_add_test(test_diffusion_models
  SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/test_unet.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/test_vae.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/test_controlnet.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/test_scheduler.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/test_sds.cpp
  LIBS faceg2e_diffusion_models
  TIMEOUT 300
  LABELS diffusion)

faceg2e_add_test(test_diffusion_fixtures_runner
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_fixtures_runner.cpp
  LIBS faceg2e_diffusion_models
  TIMEOUT 600
  LABELS diffusion)

# The acceptance command itself, on the public reference set.
if(TARGET faceg2e-cli)
  add_test(NAME diagnose_fixtures_sd_reference
           COMMAND $<TARGET_FILE:faceg2e-cli> diagnose fixtures --dir ${FACEG2E_SHARED_DIR}/fixtures/sd-reference)
  set_tests_properties(diagnose_fixtures_sd_reference PROPERTIES TIMEOUT 900 LABELS diffusion
                       PASS_REGULAR_EXPRESSION "\n[0-9]+ passed, 0 failed\n")
endif()
