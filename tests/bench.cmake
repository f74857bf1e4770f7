# Reliability tests that go with bench/ (the benchmarks themselves are not
# tests: run them with bench/run-all.sh).
van_integration_test(it_80_disk_full it_80_disk_full.sh)
set_tests_properties(it_80_disk_full PROPERTIES SKIP_RETURN_CODE 77)
