// The Restate side of bench/peers: two durable handlers shaped like elsa-rs's two workloads.
// Each step is a ctx.run, i.e. one journal entry that Restate makes durable before the handler
// goes on; its action prints a line, as Elsa.WriteLine does (elsa-rs prints it to stdout).
//   NODE_PATH=target/peers/node_modules node bench/peers/service.cjs PORT
const http2 = require("node:http2");
const restate = require("@restatedev/restate-sdk");

const writeLine = (text) => () => {
  process.stdout.write(text + "\n");
  return text;
};

const bench = restate.service({
  name: "Bench",
  handlers: {
    oneStep: async (ctx) => ctx.run("step", writeLine("Hello from Kubernetes!")),
    tenStep: async (ctx) => {
      let last;
      for (let i = 1; i <= 10; i++) last = await ctx.run(`s${i}`, writeLine(`Step ${i}`));
      return last;
    },
  },
});

// http2 by hand rather than restate.serve(): serve() listens on every interface, the bench
// stays on loopback.
const port = Number(process.argv[2]);
http2.createServer(restate.createEndpointHandler({ services: [bench] })).listen(port, "127.0.0.1");
