"""The worker: fans out events and runs jobs (`ticketry worker`, or embedded in `serve`)."""
