# Tests of faceg2e_diffusion_io (owner: diffio).
find_package(ZLIB REQUIRED)  # test_tokenizer_gz writes gzip files
faceg2e_add_test(test_diffusion_io
  SOURCES test_safetensors.cpp test_tokenizer.cpp test_tokenizer_gz.cpp test_checkpoint.cpp test_text_encoder.cpp
  LIBS faceg2e_diffusion_io ZLIB::ZLIB
  TIMEOUT 300
  LABELS diffusion)

# `diagnose model` without linking the whole CLI: its command file is compiled in.
faceg2e_add_test(test_diagnose_model
  SOURCES test_checkpoint_cli.cpp ${CMAKE_SOURCE_DIR}/app/cli/cmd_diagnose_model.cpp
  LIBS faceg2e_diffusion CLI11::CLI11
  TIMEOUT 120
  LABELS diffusion)
target_include_directories(test_diagnose_model PRIVATE ${CMAKE_SOURCE_DIR})

# `diagnose fixtures --clip-vocab` with its command file compiled in (needs the models library
# for run_fixture_checks).
if(TARGET faceg2e_diffusion_models)
  faceg2e_add_test(test_diagnose_fixtures_gz
    SOURCES test_diagnose_fixtures_gz.cpp ${CMAKE_SOURCE_DIR}/app/cli/cmd_diagnose_fixtures.cpp
    LIBS faceg2e_diffusion CLI11::CLI11
    TIMEOUT 120
    LABELS diffusion)
  target_include_directories(test_diagnose_fixtures_gz PRIVATE ${CMAKE_SOURCE_DIR})
endif()
