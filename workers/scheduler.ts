// Entry point of a scheduler process: exactly `feedline serve --role scheduler`.
process.argv.splice(2, 0, 'serve', '--role', 'scheduler');
await import('../src/cli/main.js');
