-- wrk's requests for the webhook benchmark: POSTs of JSON bodies, taken in
-- turn from BENCH_HOOKS (one "PATH BODY" a line, BODY running to the end).
local requests = {}
local next_one = 0

function init(args)
	local list = os.getenv("BENCH_HOOKS") or ""
	for line in string.gmatch(list, "[^\n]+") do
		local path, body = string.match(line, "^(%S+) (.+)$")
		if path then
			requests[#requests + 1] = wrk.format("POST", path,
			    { ["Content-Type"] = "application/json" }, body)
		end
	end
	if #requests == 0 then
		error("BENCH_HOOKS names no request")
	end
end

function request()
	next_one = next_one % #requests + 1
	return requests[next_one]
end
