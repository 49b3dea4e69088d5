/** Where a command prints: its result on stdout, progress and problems on stderr. */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
  color: boolean;
}
