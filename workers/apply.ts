// Entry point of an apply-worker process (a container's command, or a process manager's):
// exactly `feedline worker`, with its flags. Configuration comes from the environment.
process.argv.splice(2, 0, 'worker');
await import('../src/cli/main.js');
