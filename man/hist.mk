## man/: llt/hist pages.
