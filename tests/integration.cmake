# Integration tests: real mosquitto, real gpsd via gpsfake, real SQLite files.
van_integration_test(it_01_gps_store_mqtt it_01_gps_store_mqtt.sh)
van_integration_test(it_02_gpsd_restart it_02_gpsd_restart.sh)
van_integration_test(it_03_broker_restart it_03_broker_restart.sh)
van_integration_test(it_10_emergency it_10_emergency.sh)
van_integration_test(it_11_outage it_11_outage.sh)
van_integration_test(it_12_sigkill it_12_sigkill.sh)
van_integration_test(it_13_adapters it_13_adapters.sh)
van_integration_test(it_14_shift_replay it_14_shift_replay.sh)
