package main

// Joining the user and mount namespace of berth's pause process happens here, in C,
// before the Go runtime starts threads: the kernel lets only a single-threaded process
// enter a user namespace. berth re-executes itself with _BERTH_JOIN_PID set
// (rootless.go); this constructor enters that process's namespaces, or stops with one
// line naming what failed.

/*
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void berth_join_namespaces(void) __attribute__((constructor));

static void berth_join_namespaces(void)
{
	const char *pid = getenv("_BERTH_JOIN_PID");
	const char *kinds[] = {"user", "mnt"};
	int types[] = {CLONE_NEWUSER, CLONE_NEWNS};
	int fds[2];
	char path[64];
	int i;

	if (pid == NULL || *pid == '\0')
		return;
	// Open both first: after entering the user namespace, the other process's /proc
	// entries may no longer be ours to open.
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, kinds[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			fprintf(stderr, "Error: rootless mode: opening %s of berth's pause process: %m\n", path);
			_exit(125);
		}
	}
	for (i = 0; i < 2; i++) {
		if (setns(fds[i], types[i]) != 0) {
			fprintf(stderr, "Error: rootless mode: entering the %s namespace of berth's pause process %s: %m\n", kinds[i], pid);
			_exit(125);
		}
		close(fds[i]);
	}
	// The user's own groups are not mapped in the namespace.
	(void)setgroups(0, NULL);
	if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) {
		fprintf(stderr, "Error: rootless mode: becoming root in berth's user namespace: %m\n");
		_exit(125);
	}
	unsetenv("_BERTH_JOIN_PID");
}
*/
import "C"

// canJoin: this build has the constructor above (rootless_nocgo.go says otherwise).
const canJoin = true
