// Postgres: module placeholder.
