# Stand-in for mongo:7.0: FerretDB (MongoDB wire protocol on SQLite) with
# the real mongodump/mongorestore, and labsvc as entrypoint and mongosh.
ARG BASE
FROM ${BASE}
COPY ferretdb mongodump mongorestore /usr/local/bin/
VOLUME /data/db
EXPOSE 27017
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["mongod"]
