# Installs the build tree into a fresh prefix, builds examples/consumer against
# it with find_package(asen), runs it and checks its output.
# Variables: BUILD_DIR, SOURCE_DIR, WORK_DIR, BUILD_HAS_NN.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/examples/consumer" -B "${WORK_DIR}/build"
    "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/consumer" "wreath(S(5),S(2))")
if(NOT last_output MATCHES "wreath\\(S\\(5\\),S\\(2\\)\\): degree 10, order 28800, 3 orbitals")
  message(FATAL_ERROR "unexpected output from the consumer: ${last_output}")
endif()
message(STATUS "consumer output: ${last_output}")

# asen::nn, exported when the build has the nn layer (BUILD_HAS_NN).
if(BUILD_HAS_NN)
  if(NOT EXISTS "${WORK_DIR}/build/consumer_nn")
    message(FATAL_ERROR "the installed package has no asen::nn: consumer_nn was not built")
  endif()
  run("${WORK_DIR}/build/consumer_nn" "D(8)")
  if(NOT last_output MATCHES "D\\(8\\): output \\[3, 8, 2\\], 5 colours, inside equivariant, outside not equivariant")
    message(FATAL_ERROR "unexpected output from consumer_nn: ${last_output}")
  endif()
  message(STATUS "consumer_nn output: ${last_output}")
endif()
