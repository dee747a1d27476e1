#!/usr/bin/env python3
# A scripted stand-in for the Anthropic Messages API on 127.0.0.1, so a real Claude Code can
# run a turn without credentials or network (scripts/live-claude.sh). With the Bash tool on
# offer it answers a prompt with one Bash call (which asks permission), then a final text;
# any other request gets "ok". FAKE_API_TOOL=Write or WebFetch asks for that tool instead
# (scripts/capture-permission-panes.sh). Usage: [FAKE_API_DELAY=S] fake-anthropic-api.py PORT [LOG]
import json, os, sys, itertools, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
counter = itertools.count(1)
LOG = open(sys.argv[2] if len(sys.argv) > 2 else "/dev/null", "a")
def sse(events):
    out = []
    for e in events:
        out.append(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n")
    return "".join(out).encode()
def message(blocks, stop):
    n = next(counter)
    evs = [{"type":"message_start","message":{"id":f"msg_{n}","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":None,"stop_sequence":None,"usage":{"input_tokens":10,"output_tokens":1}}}]
    for i,b in enumerate(blocks):
        if b["type"] == "text":
            evs.append({"type":"content_block_start","index":i,"content_block":{"type":"text","text":""}})
            evs.append({"type":"content_block_delta","index":i,"delta":{"type":"text_delta","text":b["text"]}})
        else:
            evs.append({"type":"content_block_start","index":i,"content_block":{"type":"tool_use","id":f"toolu_{n}_{i}","name":b["name"],"input":{}}})
            evs.append({"type":"content_block_delta","index":i,"delta":{"type":"input_json_delta","partial_json":json.dumps(b["input"])}})
        evs.append({"type":"content_block_stop","index":i})
    evs.append({"type":"message_delta","delta":{"stop_reason":stop,"stop_sequence":None},"usage":{"output_tokens":5}})
    evs.append({"type":"message_stop"})
    return evs
def full(blocks, stop):
    n = next(counter)
    content=[]
    for i,b in enumerate(blocks):
        content.append({"type":"text","text":b["text"]} if b["type"]=="text" else {"type":"tool_use","id":f"toolu_{n}_{i}","name":b["name"],"input":b["input"]})
    return {"id":f"msg_{n}","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":content,"stop_reason":stop,"stop_sequence":None,"usage":{"input_tokens":10,"output_tokens":5}}
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        LOG.write(f"GET {self.path}\n"); LOG.flush()
        self.send_response(200); self.send_header("content-type","application/json"); self.end_headers(); self.wfile.write(b"{}")
    def do_HEAD(self):
        self.send_response(200); self.end_headers()
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length","0"))) or b"{}")
        tools = [t.get("name") for t in body.get("tools", [])]
        msgs = body.get("messages", [])
        last = msgs[-1] if msgs else {}
        content = last.get("content")
        has_result = isinstance(content, list) and any(isinstance(c, dict) and c.get("type")=="tool_result" for c in content)
        LOG.write(f"POST {self.path} tools={len(tools)} msgs={len(msgs)} result={has_result} stream={body.get('stream')}\n"); LOG.flush()
        if "count_tokens" in self.path:
            out = json.dumps({"input_tokens": 10}).encode(); self.send_response(200); self.send_header("content-type","application/json"); self.end_headers(); self.wfile.write(out); return
        if "Bash" in tools and not has_result:
            # Think a while (FAKE_API_DELAY seconds), so the "working" status can be seen.
            time.sleep(float(os.environ.get("FAKE_API_DELAY", "0")))
            tool = os.environ.get("FAKE_API_TOOL", "Bash")
            if tool == "Write":
                call = {"type":"tool_use","name":"Write","input":{"file_path":os.path.join(os.environ.get("FAKE_API_DIR", os.getcwd()), "notes.txt"),"content":"hello from navi\n"}}
            elif tool == "WebFetch":
                call = {"type":"tool_use","name":"WebFetch","input":{"url":"https://example.com/","prompt":"summarise"}}
            else:
                call = {"type":"tool_use","name":"Bash","input":{"command":"echo \"hello\" from 'navi' > out.txt","description":"write a file"}}
            blocks, stop = [{"type":"text","text":"Running it."}, call], "tool_use"
        elif "Bash" in tools:
            blocks, stop = [{"type":"text","text":"Done: the file says \"hello\"."}], "end_turn"
        else:
            blocks, stop = [{"type":"text","text":"ok"}], "end_turn"
        if body.get("stream"):
            self.send_response(200); self.send_header("content-type","text/event-stream"); self.end_headers()
            self.wfile.write(sse(message(blocks, stop)))
        else:
            out = json.dumps(full(blocks, stop)).encode()
            self.send_response(200); self.send_header("content-type","application/json"); self.end_headers(); self.wfile.write(out)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
