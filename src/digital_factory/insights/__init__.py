"""Insights: what the loop's data says back to the board and the teams — DORA, flow, value lead time,
hypothesis evaluation, attribution and the board pack. It reads portfolio, delivery, releases and telemetry
through their faces and writes nothing into them except the board's recorded decisions."""
