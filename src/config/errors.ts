/** A configuration problem a person can fix; main() prints it on one line and exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** One option occurrence, from an ini file, the command line or the environment. */
export interface Entry {
  key: string;
  value: string;
  /** Where it came from, for messages: "app.ini:12", "command line", "environment". */
  origin: string;
  /** A bare ini key or a CLI flag without a value. */
  bare?: boolean;
}
