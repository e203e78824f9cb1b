#include "interrupt.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t flag;

static void on_signal(int sig)
{
    if (flag) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    flag = 1;
    static const char msg[] = "\nqbench: interrupted, finishing the current measurement and saving what is done\n";
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
    }
}

void qb_interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool qb_interrupted(void) { return flag != 0; }
