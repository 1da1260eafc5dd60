-- wrk script: POST a new Arabic comment to khabar's API (POST /api/v1/comments).
--
--   BENCH_THREAD=article:63 BENCH_PARENTS=201-400 \
--   wrk -t2 -c32 -d10s --latency -s bench/post-comment.lua http://127.0.0.1:18191/api/v1/comments
--
-- The same ~300 bytes of Arabic as the Isso peer's post-comment.lua. Every text is unique
-- (khabar refuses the same text from the same address within an hour as a duplicate): it
-- carries the wrk thread, the start time and a counter. Every second request is a reply to
-- one of the seeded comments BENCH_PARENTS (first-last ids, printed by khabar_seed.py).
-- The rate limits must be off (KHABAR_RATELIMIT=0), as Isso's guard is for its run.

local peers = os.getenv("PEERS_DIR") or "../shared/peers"
dofile(peers .. "/lib/report.lua")

local thread_key = os.getenv("BENCH_THREAD") or "article:1"
-- The form stamp a reader's page carries (signed by the site a minute before the run).
local form_stamp = os.getenv("BENCH_STAMP") or ""
local first, last = (os.getenv("BENCH_PARENTS") or "1-200"):match("^(%d+)-(%d+)$")
first, last = tonumber(first), tonumber(last)

local text = "تعليق جديد من أحد القراء: شكراً على هذا التقرير المفصّل، " ..
             "فقد أوضح جوانب كثيرة لم تكن واضحة لي من قبل. " ..
             "نرجو متابعة التطورات في الأيام القادمة."

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local threads = 0

function setup(thread)
   threads = threads + 1
   thread:set("id", threads)
end

local counter = 0
local stamp = ""

function init(args)
   math.randomseed(os.time() * 100 + (id or 0))
   stamp = string.format("%d-%d-%d", os.time(), id or 0, math.random(1, 1000000))
end

function request()
   counter = counter + 1
   local parent = "null"
   if counter % 2 == 0 then
      parent = tostring(math.random(first, last))
   end
   local body = string.format(
      '{"thread": "%s", "author": "قارئ", "parent": %s, "text": "%s (%s-%d)", "stamp": "%s"}',
      thread_key, parent, text, stamp, counter, form_stamp)
   return wrk.format(nil, nil, nil, body)
end
