#include "test_vb_harness.h"
int main(void){return 0;}
