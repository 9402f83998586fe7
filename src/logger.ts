import pino from 'pino';

export type Logger = pino.Logger;

/**
 * JSON logs. Known secret-bearing fields are censored wherever they appear, as a second line of defence: code never
 * logs secrets, keys or message contents on purpose.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'chat-webhooks' },
      redact: {
        paths: [
          'secret',
          '*.secret',
          'api_key',
          '*.api_key',
          'authorization',
          '*.authorization',
          '*.headers.authorization',
          'message',
          '*.message_text',
          'response',
          'payload',
          '*.payload',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
