/* SPDX-License-Identifier: MIT */
/*
 * jobs_producer - a job queue between processes, producer side (C).
 *
 * Pushes 1000 jobs {id, x} into the queue "jobs" of segment /jobs, then a
 * job with id JOB_STOP.  Whichever of the producer and the consumer
 * (examples/jobs_consumer.py) starts first creates the segment and the
 * queue; the other opens them.  When the queue is full, push waits (in the
 * kernel) for the consumer to make room.
 *
 * `jobs_producer [SEGMENT]` uses another segment name than /jobs;
 * `jobs_producer --unlink [SEGMENT]` removes the segment again.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <zeroipc.h>

#define JOB_STOP UINT32_MAX

struct job {
	uint32_t id;
	float x;
};

static int report(const char *what, int rc)
{
	fprintf(stderr, "jobs_producer: %s: %s (%s)\n", what,
		zeroipc_strerror(rc), zeroipc_last_error());
	return 1;
}

int main(int argc, char **argv)
{
	const char *name = "/jobs";
	zeroipc_memory *mem;
	zeroipc_queue *jobs;
	struct job job;
	int created, rc;

	if (argc > 1 && strcmp(argv[1], "--unlink") == 0) {
		rc = zeroipc_memory_unlink(argc > 2 ? argv[2] : name);
		if (rc != ZEROIPC_OK && rc != ZEROIPC_ENOT_FOUND)
			return report("unlink", rc);
		return 0;
	}
	if (argc > 1)
		name = argv[1];

	rc = zeroipc_memory_open_or_create(&mem, &created, name, 1024 * 1024,
					   NULL);
	if (rc != ZEROIPC_OK)
		return report("open or create the segment", rc);

	/* 64 jobs of 8 bytes; if the consumer created it first, open it. */
	rc = zeroipc_queue_create(&jobs, mem, "jobs", sizeof(job), 64, NULL);
	if (rc == ZEROIPC_EEXISTS)
		rc = zeroipc_queue_open(&jobs, mem, "jobs", sizeof(job), NULL);
	if (rc != ZEROIPC_OK) {
		zeroipc_memory_close(mem);
		return report("queue jobs", rc);
	}

	for (uint32_t i = 0; i <= 1000 && rc == ZEROIPC_OK; i++) {
		job.id = i < 1000 ? i : JOB_STOP;
		job.x = 0.5f * (float)i;
		/* Waits up to 10 s for room. */
		rc = zeroipc_queue_push(jobs, &job, 10LL * 1000000000);
	}
	zeroipc_queue_close(jobs);
	zeroipc_memory_close(mem);
	if (rc != ZEROIPC_OK)
		return report("push", rc);

	printf("producer: pushed 1000 jobs to %s\n", name);
	return 0;
}
