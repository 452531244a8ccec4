DROP TABLE user_deletions;
