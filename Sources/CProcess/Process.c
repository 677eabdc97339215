#include "CProcess.h"

#include <signal.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

int kconv_die_with_parent(int signal, pid_t parent) {
#if defined(__linux__)
    if (prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL) != 0) {
        return -1;
    }
    return getppid() == parent ? 1 : 0;
#else
    (void)signal;
    (void)parent;
    return -1;
#endif
}

static volatile sig_atomic_t forward_target = 0;

static void forward(int signal) {
    pid_t target = (pid_t)forward_target;
    if (target > 0) {
        kill(target, signal);
    }
}

static void set_action(void (*handler)(int)) {
    struct sigaction action = {0};
    action.sa_handler = handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void kconv_forward_signals(pid_t child) {
    forward_target = (sig_atomic_t)child;
    set_action(forward);
}

void kconv_default_signals(void) {
    forward_target = 0;
    set_action(SIG_DFL);
}
