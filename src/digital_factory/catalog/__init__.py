"""The service catalog: services, their owners and repositories, value streams, dependencies."""
