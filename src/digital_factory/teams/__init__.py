"""Teams, their members and roles, their type in Team Topologies terms."""
