export async function runExplain(): Promise<number> {
  process.stderr.write('explain: not yet available\n');
  return 2;
}
