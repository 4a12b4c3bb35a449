import { newToken, upsertPersonToken } from '../auth';
import { conflict } from '../errors';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../route';
import { CreateTokenSchema } from '../schemas';

export function peopleRoutes(routes: ApiRoutes, { db }: ApiDeps): void {
  routes.add({
    method: 'post', path: '/api/v1/tokens', summary: 'Create a named person with a role and return their token',
    roles: ['admin'], body: CreateTokenSchema, responses: { 201: 'the token (shown once)', 400: 'invalid input', 403: 'not an admin', 409: 'name taken' },
    async handle({ body }) {
      const taken = await db.selectFrom('people').select('id').where('name', '=', body.name).executeTakeFirst();
      if (taken) throw conflict(`a person named ${body.name} already exists`, [{ field: 'name', message: 'must be unique' }]);
      const token = newToken();
      await upsertPersonToken(db, body, token);
      return { status: 201, body: { name: body.name, role: body.role, token } };
    },
  });
}
