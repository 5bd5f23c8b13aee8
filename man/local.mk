## man/: one page per public function; aliases are .so stubs.
