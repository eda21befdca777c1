-- +goose Up
-- What was verified beyond the message (issue 15's success block): how
-- long a call lasted, in whole seconds (NULL: not a call, or Twilio gave
-- no duration), and the first media files of an MMS, as
-- "MEsid content/type" pairs separated by spaces (NULL: none listed).
-- Only SIDs and content types are kept, at most three: the pictures
-- themselves are fetched again from the player's own account.
ALTER TABLE submissions ADD COLUMN msg_duration_s INTEGER;
ALTER TABLE submissions ADD COLUMN msg_media TEXT;

-- +goose Down
ALTER TABLE submissions DROP COLUMN msg_media;
ALTER TABLE submissions DROP COLUMN msg_duration_s;
