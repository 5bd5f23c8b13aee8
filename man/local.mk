## man/: one page per public function; aliases are .so stubs.
## Every page is listed by name; tests/check_manpages.sh checks that this
## list, the headers, lib/libllt.map and the built library agree.
dist_man3_MANS += \
	man/man3/llt_clock_anchor.3 \
	man/man3/llt_clock_anchor_refresh.3 \
	man/man3/llt_clock_apply.3 \
	man/man3/llt_clock_cal_default_path.3 \
	man/man3/llt_clock_cal_load.3 \
	man/man3/llt_clock_cal_save.3 \
	man/man3/llt_clock_calibrate.3 \
	man/man3/llt_clock_check_sync.3 \
	man/man3/llt_clock_end.3 \
	man/man3/llt_clock_from_ns.3 \
	man/man3/llt_clock_info.3 \
	man/man3/llt_clock_init.3 \
	man/man3/llt_clock_mode_name.3 \
	man/man3/llt_clock_now.3 \
	man/man3/llt_clock_now_ns.3 \
	man/man3/llt_clock_source_name.3 \
	man/man3/llt_clock_start.3 \
	man/man3/llt_clock_to_ns.3 \
	man/man3/llt_clock_to_realtime_ns.3 \
	man/man3/llt_cpu_cacheline_size.3 \
	man/man3/llt_cpu_current.3 \
	man/man3/llt_cpu_feature_name.3 \
	man/man3/llt_cpu_features.3 \
	man/man3/llt_cpu_has.3 \
	man/man3/llt_cpu_is_allowed.3 \
	man/man3/llt_cpu_pin.3 \
	man/man3/llt_cpu_pin_set.3 \
	man/man3/llt_cpu_relax.3 \
	man/man3/llt_cpu_topology_allowed.3 \
	man/man3/llt_cpu_topology_count.3 \
	man/man3/llt_cpu_topology_create.3 \
	man/man3/llt_cpu_topology_free.3 \
	man/man3/llt_cpu_topology_info.3 \
	man/man3/llt_cpu_topology_llc_peers.3 \
	man/man3/llt_cpu_topology_siblings.3 \
	man/man3/llt_cpu_unpin.3 \
	man/man3/llt_version.3 \
	man/man3/llt_version_check.3

dist_man7_MANS += \
	man/man7/llt.7
