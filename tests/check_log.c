#include <llt/log.h>
int main(void) { return 0; }
