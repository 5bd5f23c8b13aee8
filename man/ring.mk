dist_man3_MANS +=
