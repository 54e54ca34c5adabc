/**
 * AWS API Gateway JSON access logs (REST and HTTP APIs), written with $context variables.
 * The keys are the ones AWS's console templates and docs use; `$context.routeKey`
 * ("GET /pets/{id}") already carries the route template.
 */
import type { ParsedRecord } from '../../../schemas/event-schema.js';
import { FieldError, type JsonObject } from './parse-result.js';
import { firstOf, num, splitTarget, status, str, timestamp } from './field-readers.js';

export function looksLikeAwsApiGateway(o: JsonObject): boolean {
  return 'requestId' in o && ('httpMethod' in o || 'routeKey' in o) && ('requestTime' in o || 'requestTimeEpoch' in o);
}

export function parseAwsApiGateway(o: JsonObject): ParsedRecord {
  const routeKey = str(o.routeKey);
  const [routeMethod = '', routePath = ''] = routeKey.includes(' ') ? routeKey.split(' ') : ['', ''];
  const target = str(firstOf(o, ['path', 'requestPath', 'resourcePath'])) || routePath;
  if (!target) throw new FieldError('missing_field', 'none of path, resourcePath or routeKey is present');
  const { path, query } = splitTarget(target);
  const principal = str(firstOf(o, ['authorizer.principalId', 'principalId', 'authorizerPrincipalId', 'authorizer.claims.sub', 'cognitoIdentityId', 'user']));
  const apiKeyId = str(firstOf(o, ['apiKeyId', 'identity.apiKeyId']));
  const errorType = str(firstOf(o, ['errorResponseType', 'authorizerError', 'error.responseType']));
  const headers: Record<string, string> = {};
  if (errorType) headers['x-gatewatch-aws-error'] = errorType;
  return {
    eventTimeMs: o.requestTimeEpoch !== undefined ? timestamp(o.requestTimeEpoch, 'requestTimeEpoch') : timestamp(o.requestTime, 'requestTime'),
    gateway: str(o.apiId) ? `aws-apigw/${str(o.apiId)}${str(o.stage) ? '/' + str(o.stage) : ''}` : 'aws-apigw',
    requestId: str(o.requestId),
    method: (str(o.httpMethod) || routeMethod).toUpperCase(),
    host: str(o.domainName).toLowerCase(),
    path,
    query,
    status: status(o.status),
    latencyMs: num(firstOf(o, ['responseLatency', 'integrationLatency', 'latency']), 'responseLatency'),
    bytesIn: num(o.requestLength, 'requestLength'),
    bytesOut: num(o.responseLength, 'responseLength'),
    peerIp: str(firstOf(o, ['ip', 'sourceIp', 'identity.sourceIp'])),
    forwardedFor: '',
    userAgent: str(firstOf(o, ['userAgent', 'identity.userAgent'])),
    headers,
    ...(principal
      ? { gatewayPrincipal: { type: 'jwt_sub' as const, id: principal } }
      : apiKeyId
        ? { gatewayPrincipal: { type: 'api_key' as const, id: apiKeyId } }
        : {}),
  };
}
