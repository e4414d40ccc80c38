/** The bench's own lines, told apart from the services' output that scripts/up.sh prints. */
export function log(line: string): void {
  process.stdout.write(`[bench] ${line}\n`);
}
