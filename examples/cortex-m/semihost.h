/* Console and exit through ARM semihosting (QEMU -semihosting, or a debugger). */
#ifndef EXAMPLE_SEMIHOST_H
#define EXAMPLE_SEMIHOST_H

#include <stdbool.h>
#include <stdint.h>

/* Write a NUL-terminated string to the host console (SYS_WRITE0). */
void sh_puts(const char *s);
/* The same, for a number in decimal. */
void sh_putu(uint32_t v);
/* End the program: QEMU exits with status 0 when ok, 1 otherwise (SYS_EXIT). */
_Noreturn void sh_exit(bool ok);

#endif
