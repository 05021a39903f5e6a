/**
 * Tokens are credentials in a URL: no log line of the stage may contain one. Every token a
 * suite uses is remembered here, and each suite checks the local stage's log at its end.
 */
import { readFileSync } from 'node:fs';

const used = new Set<string>();

export const rememberToken = (token: string): string => {
  used.add(token);
  return token;
};

/** Log lines containing any token used so far (empty on a deployed stage, whose logs are not here). */
export function logLinesWithTokens(): string[] {
  const file = process.env.LOCAL_STAGE_LOG;
  if (!file) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const signatures = [...used].map((token) => token.split('.')[2] ?? token).filter((part) => part.length > 8);
  return lines.filter((line) => signatures.some((signature) => line.includes(signature)));
}

export const tokensChecked = (): number => used.size;
