-- Sign-up now requires a confirmed email (issue 11, finding 8). Accounts made before that
-- rule signed in without one; they keep doing so instead of being locked out.
UPDATE "users" SET "email_verified" = true WHERE "email_verified" = false;
