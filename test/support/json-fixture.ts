/**
 * The frame of a fixture process run inside a lab namespace: reads one JSON request from stdin,
 * runs `body` on it, and writes what it returns as JSON on stdout. A failure writes its stack to
 * stderr and exits 1, so the test that spawned it sees why.
 */
export function runJsonFixture<Request>(body: (request: Request) => Promise<unknown>): void {
  const main = async (): Promise<void> => {
    let input = '';
    for await (const chunk of process.stdin) input += String(chunk);
    const reply = await body(JSON.parse(input) as Request);
    process.stdout.write(JSON.stringify(reply));
  };
  main().catch((error: unknown) => {
    process.stderr.write(String((error as Error).stack ?? error));
    process.exitCode = 1;
  });
}
