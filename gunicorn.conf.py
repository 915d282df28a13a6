"""gunicorn's settings wherever the shop is served with it: gunicorn reads this file from the
directory it starts in, and the Procfile (`make prod`), the container, the local cluster and
`make bench` all start it here. The command lines give the bind address, workers and threads."""

# Each worker listens on a socket of its own and the kernel spreads new connections over them
# (SO_REUSEPORT). With the one socket the master opens, whichever worker woke first took most
# of a burst of new connections and kept them while they stayed open: wrk's 16 connections
# landed 12 and 4, 13 and 3, 15 and 1 on the two workers, so one worker's threads queued for
# its single core (the GIL) while the other idled. Balanced, the money pages' p99 at 16
# connections fell from 92-151 ms to 68-130 ms and the bare view served a third more requests
# (#23, eighth round; docs/measurements.md). Two servers started on one port by mistake would
# share its connections instead of the second failing to start: give each its own port.
reuse_port = True
