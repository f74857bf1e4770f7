# Reliability tests that go with bench/ (the benchmarks themselves are not
# tests: run them with bench/run-all.sh).
van_integration_test(it_80_disk_full it_80_disk_full.sh)
set_tests_properties(it_80_disk_full PROPERTIES SKIP_RETURN_CODE 77)
van_integration_test(it_81_disk_full_faults it_81_disk_full_faults.sh)
set_tests_properties(it_81_disk_full_faults PROPERTIES SKIP_RETURN_CODE 77)
van_integration_test(it_83_disk_full_no_base it_83_disk_full_no_base.sh)
set_tests_properties(it_83_disk_full_no_base PROPERTIES SKIP_RETURN_CODE 77)
