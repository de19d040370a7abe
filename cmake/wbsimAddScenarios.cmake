# wbsim_add_scenarios(TARGET a.cpp b.cpp ...): an executable that is wbsim,
# every command and every built-in scenario, plus the scenarios in the
# files given (each registered with WBSIM_SCENARIO). Both OBJECT libraries
# are linked directly: an OBJECT library's objects reach only the targets
# that link it themselves.
function(wbsim_add_scenarios target)
  if(ARGC LESS 2)
    message(FATAL_ERROR "wbsim_add_scenarios(${target}): no scenario files given")
  endif()
  add_executable(${target} ${ARGN})
  target_link_libraries(${target} PRIVATE wbsim::main wbsim::scenarios)
  # As wbsim itself: exported symbols, so `--script` works with it too.
  set_target_properties(${target} PROPERTIES ENABLE_EXPORTS ON)
endfunction()
