"""Pure building blocks shared by every domain: ids, clock, errors, actors, events, pagination. No I/O."""
