-- expect: error: users.amy.name: a full name must not contain ':' or line breaks
-- expect: error: users.bob.name: a full name must not contain ':' or line breaks
-- expect: error: users.cy.name: a full name must not contain ':' or line breaks
-- expect: error: users.dee.name: a full name must not contain ':' or line breaks
return {
    users = {
        amy = { name = "Amy: Pond" },
        bob = { name = "Bob\nroot::0:0::/root:/bin/sh" },
        cy = { name = "Cy\rx" },
        dee = { name = "Dee\u{2028}x" },
        eve = { name = "Eve Ellis, Room 4" },
    },
}
