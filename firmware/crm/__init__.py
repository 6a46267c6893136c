"""The CRMs ICM asks who is responsible for a caller: amoCRM, Bitrix24 and Megaplan.

Each client (``amocrm``, ``bitrix24``, ``megaplan``) only speaks its CRM's API;
``source.CrmSource`` adds what all of them need (cache, rate limit, status, the
users table) and ``source.build`` makes one from its pbx.toml section.
"""
