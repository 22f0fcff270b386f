-- increment: add BY to the score of a member that is present; never creates one.
-- KEYS[1]  the pending ZSET
-- ARGV[1]  member
-- ARGV[2]  BY
-- Returns  the new score as a string, or false when the member is absent.
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return false end
return redis.call('ZINCRBY', KEYS[1], ARGV[2], ARGV[1])
