## man/: llt/prof pages.
