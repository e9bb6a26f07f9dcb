"""The drone fleet simulator behind `factory simulate fleet`: a pure model of the fleet and its market
(`model`), the flags read over OFREP (`flags`), the OpenTelemetry SDK reporting over OTLP/HTTP (`otel`)
and the run on a simulated clock (`run`).

It talks to a server only over HTTP, like any outside application, and imports nothing of the domains."""
