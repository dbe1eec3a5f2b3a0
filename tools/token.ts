import { LoginError, loginThroughPlatform, NO_SEEDED_PASSWORD, seededUserPassword } from './oidc-login';

/**
 * `npm run --silent token -- <username>` prints an access token of the API for a seeded person,
 * obtained through the real sign-in flow against the identity platform (idp-sim by default).
 * The API address comes from ZHENGMING_API_URL (default http://localhost:3000), the simulator's test
 * password from IDP_SIM_PASSWORD or, for a system started with `npm start`, its development secrets.
 * `--refresh` prints the refresh token on a second line.
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const username = args.find((arg) => !arg.startsWith('--'));
  if (!username) {
    process.stderr.write('usage: npm run --silent token -- <username> [--refresh]\n');
    return 64;
  }
  const env = process.env;
  const password = seededUserPassword(env);
  if (!password) {
    process.stderr.write(NO_SEEDED_PASSWORD);
    return 78;
  }
  try {
    const result = await loginThroughPlatform({
      apiBaseUrl: env.ZHENGMING_API_URL || 'http://localhost:3000',
      username,
      password,
    });
    process.stdout.write(`${result.accessToken}\n`);
    if (args.includes('--refresh')) process.stdout.write(`${result.refreshToken}\n`);
    return 0;
  } catch (error) {
    const message =
      error instanceof LoginError ? error.message : error instanceof Error ? error.message : String(error);
    process.stderr.write(`sign-in failed for ${username}: ${message}\n`);
    return 1;
  }
}

void main().then((code) => (process.exitCode = code));
