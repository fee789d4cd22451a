-- A user whose password an admin handed over (a generated one-time password at create or reset)
-- must choose their own at the next sign-in: 1 until they do (POST /auth/password clears it).
ALTER TABLE `users` ADD `must_change_password` integer DEFAULT 0 NOT NULL;
