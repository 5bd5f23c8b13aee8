## man/mem.mk: pages of llt/objpool and llt/arena.
